namespace MediaServer.Testing.Ffmpeg;

/// <summary>
/// What one party sends, chosen so a receiver can tell parties apart from the recording alone: each has its own
/// picture size (and pattern) and its own tone.
/// </summary>
public sealed record PartyMedia(string Name, string Pattern, int Width, int Height, int FrameRate, int ToneHz)
{
    // 15 frames a second: enough frames to count, and half the encoding work of 30 on a shared two-core machine.
    public static readonly PartyMedia Kiosk = new("kiosk", "testsrc2", 640, 360, 15, 440);

    public static readonly PartyMedia Visitor1 = new("visitor1", "smptebars", 320, 240, 15, 880);

    public static readonly PartyMedia Visitor2 = new("visitor2", "testsrc", 352, 288, 15, 1320);

    public string Size => $"{Width}x{Height}";

    public override string ToString() => $"{Name} ({Pattern} {Size}, {ToneHz} Hz)";
}
