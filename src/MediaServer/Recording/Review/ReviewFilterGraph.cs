using System.Globalization;
using System.Text;

namespace MediaServer.Recording.Review;

/// <summary>One input file of the FFmpeg run: a track's IVF or WAV, named relative to the work directory.</summary>
internal sealed record RenderInput(string FileName, string Kind, uint TrackId, string Participant);

/// <summary>
/// Builds the FFmpeg filter graph of the review copy: a black canvas of one tile per party, each party's video tracks
/// laid on its tile at their own timestamps, black boxes over video gaps longer than a second, labels, the visit id and
/// the wall-clock time burned in, and all audio mixed without normalisation.
/// </summary>
internal static class ReviewFilterGraph
{
    public const int MaxColumns = 3;

    /// <summary>Returns the script and writes the label text files it names into <paramref name="workDirectory"/>.</summary>
    public static string Build(
        JournalTimeline timeline,
        IReadOnlyList<RenderInput> inputs,
        string visitId,
        ReviewRenderOptions options,
        string workDirectory)
    {
        var inv = CultureInfo.InvariantCulture;
        int tileW = options.TileWidth;
        int tileH = options.TileHeight;
        var parties = timeline.Parties.Count > 0 ? timeline.Parties : [new RecordingParty("", "", null, [])];
        int columns = Math.Min(parties.Count, MaxColumns);
        int rows = (parties.Count + MaxColumns - 1) / MaxColumns;
        double duration = timeline.Duration.TotalSeconds;
        string font = Escape(options.FontFile);
        var graph = new StringBuilder();

        graph.Append(inv, $"color=c=black:s={columns * tileW}x{rows * tileH}:r={options.FramesPerSecond}:d={duration:0.000},format=yuv420p[canvas0];\n");
        string canvas = "canvas0";
        int step = 0;
        for (int p = 0; p < parties.Count; p++)
        {
            int x = p % MaxColumns * tileW;
            int y = p / MaxColumns * tileH;
            for (int i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                if (input.Kind != "video" || input.Participant != parties[p].Participant)
                {
                    continue;
                }

                string next = $"canvas{++step}";
                graph.Append(inv, $"[{i}:v]scale={tileW}:{tileH}:force_original_aspect_ratio=decrease,pad={tileW}:{tileH}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[tile{step}];\n");

                // Before a track's first frame and after its last the canvas shows through: black.
                graph.Append(inv, $"[{canvas}][tile{step}]overlay=x={x}:y={y}:eof_action=pass[{next}];\n");
                canvas = next;
            }
        }

        var filters = new List<string>();
        for (int p = 0; p < parties.Count; p++)
        {
            int x = p % MaxColumns * tileW;
            int y = p / MaxColumns * tileH;
            var gaps = timeline.Gaps
                .Where(g => g.Kind == "video" && g.Participant == parties[p].Participant)
                .Select(g => string.Create(inv, $"between(t,{(g.From - timeline.Start).TotalSeconds:0.000},{(g.To - timeline.Start).TotalSeconds:0.000})"))
                .ToList();
            if (gaps.Count > 0)
            {
                // A gap longer than a second is shown black, not as a frozen last frame.
                filters.Add(string.Create(inv, $"drawbox=x={x}:y={y}:w={tileW}:h={tileH}:color=black:t=fill:enable='{string.Join("+", gaps)}'"));
            }

            string label = $"label{p}.txt";
            File.WriteAllText(Path.Combine(workDirectory, label), PartyLabel(parties[p]), new UTF8Encoding(false));
            filters.Add(string.Create(inv, $"drawtext=fontfile={font}:expansion=none:textfile={label}:fontsize={tileH / 20}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x={x + 10}:y={y + tileH - (tileH / 20) - 16}"));
        }

        File.WriteAllText(Path.Combine(workDirectory, "visit.txt"), "Visit " + visitId, new UTF8Encoding(false));
        long startMs = (long)(timeline.Start - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        long startSeconds = startMs / 1000;
        long startRemainder = startMs % 1000;

        // drawtext's text expansion: %{pts:gmtime:OFFSET:FORMAT} is the frame time plus OFFSET as UTC; the milliseconds
        // come from an expression on the frame time t. Colons inside the function are escaped for the expansion.
        File.WriteAllText(
            Path.Combine(workDirectory, "clock.txt"),
            string.Create(inv, $"%{{pts:gmtime:{startSeconds}.{startRemainder:000}:%Y-%m-%d %H\\:%M\\:%S}}.%{{eif:mod(floor(t*1000+{startRemainder})\\,1000):d:3}} UTC"),
            new UTF8Encoding(false));
        int headerSize = Math.Max(14, tileH / 18);
        filters.Add(string.Create(inv, $"drawtext=fontfile={font}:expansion=none:textfile=visit.txt:fontsize={headerSize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x=10:y=10"));
        filters.Add(string.Create(inv, $"drawtext=fontfile={font}:expansion=normal:textfile=clock.txt:fontsize={headerSize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x=10:y={20 + headerSize + 12}"));
        graph.Append(inv, $"[{canvas}]{string.Join(",", filters)}[vout];\n");

        var audio = Enumerable.Range(0, inputs.Count).Where(i => inputs[i].Kind == "audio").ToList();
        string mixed = string.Concat(audio.Select(i => $"[{i}:a]"));
        graph.Append(audio.Count == 1
            ? $"{mixed}anull[aout]\n"
            : string.Create(inv, $"{mixed}amix=inputs={audio.Count}:duration=longest:dropout_transition=0:normalize=0[aout]\n"));
        return graph.ToString();
    }

    private static string PartyLabel(RecordingParty party)
    {
        string role = party.Role switch
        {
            "kiosk" => "Kiosk",
            "visitor" => "Visitor",
            _ => party.Role,
        };
        return party.Name is { Length: > 0 } name ? $"{role}: {name} ({party.Participant})" : $"{role}: {party.Participant}";
    }

    /// <summary>
    /// Escapes a value for a filter option inside a filter graph script: first for the option parser (\ ' :), then for the
    /// graph parser (\ ' [ ] , ;).
    /// </summary>
    internal static string Escape(string value)
    {
        var option = new StringBuilder();
        foreach (char c in value)
        {
            if (c is '\\' or '\'' or ':')
            {
                option.Append('\\');
            }

            option.Append(c);
        }

        var graph = new StringBuilder();
        foreach (char c in option.ToString())
        {
            if (c is '\\' or '\'' or '[' or ']' or ',' or ';')
            {
                graph.Append('\\');
            }

            graph.Append(c);
        }

        return graph.ToString();
    }
}
