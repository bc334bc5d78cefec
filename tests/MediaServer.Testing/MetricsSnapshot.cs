using System.Globalization;

namespace MediaServer.Testing;

/// <summary>One scrape of /metrics (Prometheus text exposition format), series by name and labels.</summary>
public sealed class MetricsSnapshot
{
    private readonly List<(string Name, IReadOnlyDictionary<string, string> Labels, double Value)> _series;

    private MetricsSnapshot(List<(string, IReadOnlyDictionary<string, string>, double)> series, string text)
    {
        _series = series;
        Text = text;
    }

    public string Text { get; }

    /// <summary>Every sample, keyed as it is written (<c>name{label="value",...}</c>).</summary>
    public IReadOnlyDictionary<string, double> Series =>
        _series.ToDictionary(
            s => s.Labels.Count == 0 ? s.Name : $"{s.Name}{{{string.Join(',', s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\""))}}}",
            s => s.Value);

    public static MetricsSnapshot Parse(string text)
    {
        var series = new List<(string, IReadOnlyDictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            string rest;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (brace >= 0 && (space < 0 || brace < space))
            {
                name = line[..brace];
                var close = line.IndexOf('}', brace);
                if (close < 0)
                {
                    throw new FormatException($"Unclosed labels in metrics line: {line}");
                }

                ParseLabels(line[(brace + 1)..close], labels);
                rest = line[(close + 1)..].Trim();
            }
            else
            {
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }

            // A sample may carry a timestamp after the value.
            var valueText = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            var value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            series.Add((name, labels, value));
        }

        return new MetricsSnapshot(series, text);
    }

    /// <summary>The sample with exactly this name and these labels, or null when the server has not written it.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        foreach (var (seriesName, seriesLabels, value) in _series)
        {
            if (seriesName == name && seriesLabels.Count == labels.Length && labels.All(l => seriesLabels.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A counter that has not been written yet counts as zero.</summary>
    public double Counter(string name, params (string Key, string Value)[] labels) => Value(name, labels) ?? 0;

    /// <summary>The sum over every series of <paramref name="name"/>, whatever its labels.</summary>
    public double Sum(string name) => _series.Where(s => s.Name == name).Sum(s => s.Value);

    public bool Has(string name) => _series.Any(s => s.Name == name);

    private static void ParseLabels(string text, Dictionary<string, string> labels)
    {
        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = text[i..eq].Trim().TrimStart(',').Trim();
            var j = eq + 1;
            if (j >= text.Length || text[j] != '"')
            {
                throw new FormatException($"Label value not quoted: {text}");
            }

            j++;
            var value = new System.Text.StringBuilder();
            while (j < text.Length && text[j] != '"')
            {
                if (text[j] == '\\' && j + 1 < text.Length)
                {
                    j++;
                    value.Append(text[j] == 'n' ? '\n' : text[j]);
                }
                else
                {
                    value.Append(text[j]);
                }

                j++;
            }

            labels[key] = value.ToString();
            i = j + 1;
        }
    }
}
