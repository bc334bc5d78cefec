using System.Diagnostics;
using System.Globalization;
using MediaServer.Recording.Review;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>render JOURNAL OUTPUT.mp4 [--visit ID]</c>: renders a review copy from a journal offline, as the server's render queue
/// does, printing progress and how fast it went against the recording's own duration. For re-rendering an export, and
/// for measuring rendering speed (docs/performance.md). The new file is not the signed review copy; the manifest names that one.
/// </summary>
public static class RenderCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? visit = null;
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--visit" && i + 1 < args.Length)
            {
                visit = args[++i];
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        if (positional.Count != 2 || !File.Exists(positional[0]))
        {
            error.WriteLine(positional.Count == 2 ? $"render: no journal at '{positional[0]}'" : "usage: MediaServer render JOURNAL OUTPUT.mp4 [--visit ID]");
            return 2;
        }
        var renderer = new ReviewRenderer(NullLogger<ReviewRenderer>.Instance);
        var last = -1;
        var progress = new Progress<double>(p =>
        {
            var percent = (int)(p * 100);
            if (percent / 10 != last / 10)
            {
                last = percent;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {percent,3} %"));
            }
        });
        var watch = Stopwatch.StartNew();
        try
        {
            var timeline = renderer.RenderAsync(positional[0], positional[1], visit ?? "offline", progress, CancellationToken.None)
                .GetAwaiter().GetResult();
            var seconds = watch.Elapsed.TotalSeconds;
            var duration = timeline.Duration.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rendered {duration:0.0} s of visit in {seconds:0.0} s ({(seconds > 0 ? duration / seconds : 0):0.00}x real time) to {positional[1]}"));
            return 0;
        }
        catch (ReviewRenderException ex)
        {
            error.WriteLine("render: " + ex.Message);
            return 1;
        }
    }
}
