using System.Net.Http.Json;
using System.Text.Json;
using MediaServer.Auth;
using Microsoft.Extensions.Configuration;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// What the commands that talk to a running server share (<c>demo</c>, <c>visit</c>): the configuration as the server reads it
/// (appsettings.json beside the binary, MediaServer__* variables, --Section:Key=value arguments), its signing key (read, never
/// made), tokens signed with it for the command's own calls, and an HTTP client for <c>--server URL</c> (default
/// http://127.0.0.1:8080, where <c>./run.sh</c> listens). Each call is audited by the server under the command's subject.
/// </summary>
public sealed class CliServer : IDisposable
{
    public const string DefaultServer = "http://127.0.0.1:8080/";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly TokenIssuer _issuer;
    private readonly HttpClient _http;

    private CliServer(TokenIssuer issuer, Uri server, string subject)
    {
        _issuer = issuer;
        Server = server;
        Subject = subject;
        _http = new HttpClient { BaseAddress = server, Timeout = CallTimeout };
    }

    public Uri Server { get; }

    /// <summary>Who the command's calls are audited as: <c>cli-{user}</c>.</summary>
    public string Subject { get; }

    /// <summary>The configuration the server would read with these extra arguments.</summary>
    public static IConfiguration Configuration(IEnumerable<string> arguments) =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. arguments])
            .Build();

    /// <summary>The server's options and signing key, or the one line that says why not (the caller exits 2).</summary>
    public static bool TryOpen(string? server, IEnumerable<string> arguments, out CliServer? opened, out string? problem)
    {
        opened = null;
        var options = Configuration(arguments).GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        if (!Uri.TryCreate(server ?? DefaultServer, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            problem = $"--server '{server}' is not an http:// or https:// address";
            return false;
        }
        if (!SigningKeys.TryRead(options.ResolveKeyDirectory(), out var secret, out var keyProblem))
        {
            problem = $"{keyProblem}: the server has not run with the data directory {options.ResolveDataDirectory()}. Run this where the "
                + "server runs, or set MediaServer__DataDirectory (and MediaServer__KeyDirectory if the server sets it) to the server's.";
            return false;
        }
        var root = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
        opened = new CliServer(new TokenIssuer(new SigningKeys(secret), options.Auth, TimeProvider.System), root, "cli-" + Environment.UserName);
        problem = null;
        return true;
    }

    /// <summary>A token of <paramref name="role"/> for this command, valid for <paramref name="lifetime"/>.</summary>
    public string Mint(string role, TimeSpan lifetime, string? subject = null)
    {
        var now = DateTimeOffset.UtcNow;
        return _issuer.Issue(role, subject ?? Subject, null, now.AddSeconds(-5), now + lifetime).Token;
    }

    /// <summary>Sends a call; the answer's JSON on 2xx, else an error naming the status and the server's problem detail.</summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new CliCallException($"the server at {Server} did not answer ({e.Message}); is it running? (./run.sh, or --server URL)");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliCallException($"{method} /{path}: {(int)response.StatusCode} {Detail(text)}");
            }
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    private static string Detail(string problem)
    {
        try
        {
            using var json = JsonDocument.Parse(problem);
            return json.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : problem;
        }
        catch (JsonException)
        {
            return problem.Length > 200 ? problem[..200] : problem;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A call to the server that failed, in one line for the command's error output (exit 1).</summary>
public sealed class CliCallException(string message) : Exception(message);
