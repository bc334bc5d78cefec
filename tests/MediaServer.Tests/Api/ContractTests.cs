using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MediaServer.Api;
using MediaServer.Visits;

namespace MediaServer.Tests.Api;

/// <summary>
/// docs/api.md is the HTTP contract and /openapi/v1.json the machine-readable one: the same endpoints (method and path)
/// in both, every operation named and summarised, every problem type described in docs/api.md and at /problems/{slug}.
/// </summary>
public sealed partial class ContractTests(InProcessServer server) : IClassFixture<InProcessServer>
{
    /// <summary>An endpoint in docs/api.md is a heading <c>### METHOD /path</c>.</summary>
    [GeneratedRegex(@"^###\s+(GET|POST|PUT|PATCH|DELETE)\s+(/\S*)\s*$", RegexOptions.Multiline)]
    private static partial Regex EndpointHeading();

    private static string ApiDoc => File.ReadAllText(Path.Combine(RepoRoot.Path, "docs/api.md"));

    private static SortedSet<string> DocumentedEndpoints() =>
        new(EndpointHeading().Matches(ApiDoc).Select(m => m.Groups[1].Value + " " + m.Groups[2].Value), StringComparer.Ordinal);

    private async Task<JsonElement> OpenApiAsync()
    {
        using var response = await server.Client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static IEnumerable<(string Endpoint, JsonElement Operation)> Operations(JsonElement openApi)
    {
        foreach (var path in openApi.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (operation.Name is "get" or "post" or "put" or "patch" or "delete")
                {
                    yield return (operation.Name.ToUpperInvariant() + " " + path.Name, operation.Value);
                }
            }
        }
    }

    [Fact]
    public async Task Every_endpoint_served_is_in_docs_api_md_and_every_one_listed_there_is_served()
    {
        var served = new SortedSet<string>(Operations(await OpenApiAsync()).Select(o => o.Endpoint), StringComparer.Ordinal);
        var documented = DocumentedEndpoints();
        Assert.True(documented.Count >= 20, $"docs/api.md lists only {documented.Count} endpoints as '### METHOD /path' headings.");
        var undocumented = served.Except(documented).ToList();
        var missing = documented.Except(served).ToList();
        Assert.True(undocumented.Count == 0 && missing.Count == 0,
            "Served but not in docs/api.md:\n  " + string.Join("\n  ", undocumented)
            + "\nIn docs/api.md but not served:\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public async Task Every_operation_has_a_name_and_a_summary()
    {
        var bare = Operations(await OpenApiAsync())
            .Where(o => !o.Operation.TryGetProperty("operationId", out _) || !o.Operation.TryGetProperty("summary", out _))
            .Select(o => o.Endpoint)
            .ToList();
        Assert.True(bare.Count == 0, "Operations without operationId or summary: " + string.Join(", ", bare));
    }

    [Fact]
    public void Every_problem_type_is_described_in_docs_api_md_and_by_the_server()
    {
        var doc = ApiDoc;
        var undescribed = ProblemTypes.All.Where(slug => !doc.Contains("`" + slug + "`", StringComparison.Ordinal)).ToList();
        Assert.True(undescribed.Count == 0, "Problem types docs/api.md does not name: " + string.Join(", ", undescribed));
        Assert.Equal(ProblemTypes.All.Order(StringComparer.Ordinal), ProblemEndpoints.Descriptions.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_problem_type_resolves_to_its_description_and_an_unknown_one_is_404()
    {
        foreach (var slug in ProblemTypes.All)
        {
            using var response = await server.Client.GetAsync(new Uri(ProblemTypes.Uri(slug), UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(slug + ": " + ProblemEndpoints.Descriptions[slug] + "\n", await response.Content.ReadAsStringAsync());
        }
        using var unknown = await server.Client.GetAsync(new Uri("/problems/no-such-problem", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("/problems/not-found", problem.RootElement.GetProperty("type").GetString());
    }
}
