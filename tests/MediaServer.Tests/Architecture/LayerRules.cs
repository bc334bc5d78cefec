namespace MediaServer.Tests.Architecture;

/// <summary>
/// The layers of <c>src/MediaServer</c> (docs/architecture.md, "Layers"): which top-level namespace may reference which.
/// A top-level namespace is the segment after <c>MediaServer.</c> (<c>MediaServer.Transport.WebRtc</c> is Transport); the
/// root namespace (<c>Program</c>) composes like Hosting.
/// </summary>
public static class LayerRules
{
    public const string Root = "(root)";

    /// <summary>An arrow means "may reference". A namespace may always reference itself.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> MayReference = new Dictionary<string, IReadOnlySet<string>>
    {
        [Root] = Set("Hosting", "Api", "Storage", "Recording", "Monitoring", "Visits", "Routing", "Transport", "Auth", "Media", "Metrics", "Codecs"),
        ["Hosting"] = Set(Root, "Api", "Storage", "Recording", "Monitoring", "Visits", "Routing", "Transport", "Auth", "Media", "Metrics", "Codecs"),
        ["Api"] = Set("Recording", "Monitoring", "Visits", "Routing", "Transport", "Media", "Auth", "Metrics", "Codecs"),
        ["Storage"] = Set("Recording", "Visits", "Auth", "Media", "Metrics", "Codecs"),
        ["Recording"] = Set("Visits", "Routing", "Transport", "Media", "Metrics", "Codecs"),
        ["Monitoring"] = Set("Visits", "Routing", "Transport", "Media", "Metrics", "Codecs"),
        ["Visits"] = Set("Routing", "Transport", "Media", "Auth", "Metrics", "Codecs"),
        ["Routing"] = Set("Transport", "Media", "Metrics", "Codecs"),
        ["Transport"] = Set("Media", "Metrics", "Codecs"),
        ["Auth"] = Set("Metrics"),
        ["Media"] = Set("Codecs"),
        ["Metrics"] = Set(),
        ["Codecs"] = Set(),
    };

    private static HashSet<string> Set(params string[] names) => new(names, StringComparer.Ordinal);

    /// <summary>The top-level namespace of a type's full name, or null for a type outside <c>MediaServer</c>.</summary>
    public static string? Layer(string typeFullName)
    {
        if (!typeFullName.StartsWith("MediaServer.", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = typeFullName["MediaServer.".Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? Root : rest[..dot];
    }

    /// <summary>
    /// The arrows that break the table, as <c>From.Type -> To.Type</c>, sorted. An arrow from or to a namespace the table
    /// does not know is a violation too: a new top-level folder needs its row.
    /// </summary>
    public static IReadOnlyList<string> Violations(IEnumerable<(string From, string To)> typeArrows)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (from, to) in typeArrows)
        {
            var fromLayer = Layer(from);
            var toLayer = Layer(to);
            if (fromLayer is null || toLayer is null || fromLayer == toLayer)
            {
                continue;
            }
            if (!MayReference.TryGetValue(fromLayer, out var allowed) || !allowed.Contains(toLayer))
            {
                found.Add($"{from} -> {to}");
            }
        }
        return [.. found];
    }

    /// <summary>
    /// Every cycle between top-level namespaces (each strongly connected group of two or more), with the arrows that close
    /// it, as <c>From.Type -> To.Type</c> lines under a heading naming the group.
    /// </summary>
    public static IReadOnlyList<string> Cycles(IEnumerable<(string From, string To)> typeArrows)
    {
        var edges = new Dictionary<string, Dictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var (from, to) in typeArrows)
        {
            var fromLayer = Layer(from);
            var toLayer = Layer(to);
            if (fromLayer is null || toLayer is null || fromLayer == toLayer)
            {
                continue;
            }
            if (!edges.TryGetValue(fromLayer, out var targets))
            {
                edges[fromLayer] = targets = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            }
            if (!targets.TryGetValue(toLayer, out var examples))
            {
                targets[toLayer] = examples = new SortedSet<string>(StringComparer.Ordinal);
            }
            examples.Add($"{from} -> {to}");
        }

        var report = new List<string>();
        foreach (var group in StronglyConnected(edges))
        {
            report.Add("cycle: " + string.Join(" <-> ", group));
            var members = new HashSet<string>(group, StringComparer.Ordinal);
            foreach (var from in group)
            {
                foreach (var (to, examples) in edges.GetValueOrDefault(from) ?? [])
                {
                    if (members.Contains(to))
                    {
                        report.AddRange(examples.Select(e => "  " + e));
                    }
                }
            }
        }
        return report;
    }

    /// <summary>Tarjan's algorithm; groups of one are left out (an arrow to itself is not kept).</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, Dictionary<string, SortedSet<string>>> edges)
    {
        var nodes = edges.Keys.Concat(edges.Values.SelectMany(t => t.Keys)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var groups = new List<List<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in (edges.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(to, out var seen))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }
            if (low[node] == index[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);
                if (group.Count > 1)
                {
                    group.Sort(StringComparer.Ordinal);
                    groups.Add(group);
                }
            }
        }

        foreach (var node in nodes)
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }
        return groups;
    }
}
