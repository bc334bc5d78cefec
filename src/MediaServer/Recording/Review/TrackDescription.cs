using System.Globalization;
using MediaServer.Recording.Journal;

namespace MediaServer.Recording.Review;

/// <summary>What the analysis takes from a Track record (<see cref="TrackRecord"/>): codecs by payload type, the clock rate.</summary>
internal sealed record TrackDescription(string Participant, string Role, string Kind, int ClockRate, Dictionary<byte, string> PayloadTypes)
{
    public static TrackDescription From(TrackRecord track)
    {
        var types = new Dictionary<byte, string>();
        foreach (var (name, codec) in track.PayloadTypes)
        {
            if (byte.TryParse(name, NumberStyles.Integer, CultureInfo.CurrentCulture, out byte pt) && pt < 128)
            {
                types[pt] = NormalizeCodec(codec);
            }
        }
        var clockRate = track.ClockRate ?? (track.Kind == "audio" ? 48000 : 90000);
        return new TrackDescription(track.Participant, track.Role, track.Kind, clockRate, types);
    }

    private static string NormalizeCodec(string codec) => codec.ToUpperInvariant() switch
    {
        "VP8" => "VP8",
        "H264" => "H264",
        "OPUS" => "opus",
        _ => codec,
    };
}
