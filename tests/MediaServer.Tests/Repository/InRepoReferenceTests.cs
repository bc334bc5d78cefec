using System.Text.RegularExpressions;

namespace MediaServer.Tests.Repository;

/// <summary>
/// The repository's own docs are the contract: no file points at a document that is not in it. The names looked for are
/// built from pieces so that this file does not match itself.
/// </summary>
public sealed partial class InRepoReferenceTests
{
    private static readonly string[] Forbidden = ["server-" + "contract.md", "../" + "shared"];

    /// <summary>The two contract documents' bare names, not preceded by a word character or '-' (recording-api would be another name).</summary>
    [GeneratedRegex(@"(?<![\w-])(api|peers)\.md")]
    private static partial Regex ContractDoc();

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".md", ".js", ".mjs", ".html", ".css", ".json", ".py", ".sh", ".csproj", ".props", ".slnx", ".txt", ".yml", ".yaml", ".xml", ".sdp",
    };

    private static IEnumerable<string> Files()
    {
        yield return Path.Combine(RepoRoot.Path, "README.md");
        foreach (var top in new[] { "src", "tests", "bench", "docs" })
        {
            var root = Path.Combine(RepoRoot.Path, top);
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(RepoRoot.Path, file).Replace('\\', '/');
                if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal)
                    || relative.Contains("/node_modules/", StringComparison.Ordinal) || relative.Contains("/__pycache__/", StringComparison.Ordinal)
                    || !TextExtensions.Contains(Path.GetExtension(file)))
                {
                    continue;
                }
                yield return file;
            }
        }
    }

    /// <summary>Every place in <paramref name="text"/> that points outside the repository, as "line: excerpt".</summary>
    public static IEnumerable<string> OutsideReferences(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var bad = Forbidden.Any(f => line.Contains(f, StringComparison.Ordinal))
                || ContractDoc().Matches(line).Any(m => m.Index < 5 || line.Substring(m.Index - 5, 5) != "docs/");
            if (bad)
            {
                yield return $"{i + 1}: {line.Trim()}";
            }
        }
    }

    [Fact]
    public void No_file_points_at_a_document_outside_the_repository()
    {
        var found = new List<string>();
        foreach (var file in Files())
        {
            foreach (var hit in OutsideReferences(File.ReadAllText(file)))
            {
                found.Add(Path.GetRelativePath(RepoRoot.Path, file) + ":" + hit);
            }
        }
        Assert.True(found.Count == 0, $"{found.Count} lines point outside the repository:\n" + string.Join("\n", found));
    }

    [Theory]
    [InlineData("see api" + ".md, \"Visits\"", true)]
    [InlineData("(peers" + ".md: FFmpeg)", true)]
    [InlineData("see ../api" + ".md", true)]
    [InlineData("server-" + "contract.md §3", true)]
    [InlineData("../" + "shared/peers", true)]
    [InlineData("see docs/api.md, \"Visits\"", false)]
    [InlineData("[docs/peers.md](../docs/peers.md)", false)]
    [InlineData("docs/recording-api.md", false)]
    public void A_bare_contract_name_is_caught_and_a_docs_path_is_not(string line, bool caught) =>
        Assert.Equal(caught, OutsideReferences(line).Any());
}
