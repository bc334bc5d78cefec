namespace MediaServer.IntegrationTests.Harness.Ffmpeg;

/// <summary>
/// What one party sends, chosen so a receiver can tell parties apart from the recording alone: each has its own
/// picture size (and pattern) and its own tone.
/// </summary>
public sealed record PartyMedia(string Name, string Pattern, int Width, int Height, int FrameRate, int ToneHz)
{
    public static readonly PartyMedia Kiosk = new("kiosk", "testsrc2", 640, 360, 30, 440);

    public static readonly PartyMedia Visitor1 = new("visitor1", "smptebars", 320, 240, 30, 880);

    public static readonly PartyMedia Visitor2 = new("visitor2", "testsrc", 352, 288, 30, 1320);

    public string Size => $"{Width}x{Height}";

    public override string ToString() => $"{Name} ({Pattern} {Size}, {ToneHz} Hz)";
}
