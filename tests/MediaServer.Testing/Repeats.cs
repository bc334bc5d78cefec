using System.Globalization;

namespace MediaServer.Testing;

/// <summary>
/// How many times a repeated page test (recovery after a cut, restarts) runs its scenario: a few in the suite, so that its
/// median means something while CI stays short; <c>MEDIASERVER_RUNS</c> asks for more when the figure itself is wanted
/// (bench/recovery/run.sh, docs/performance.md).
/// </summary>
public static class Repeats
{
    public const string Variable = "MEDIASERVER_RUNS";

    /// <summary><paramref name="inSuite"/>, or the number in <c>MEDIASERVER_RUNS</c> (1 to 100) when it is set.</summary>
    public static int Of(int inSuite)
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return inSuite;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var runs) || runs is < 1 or > 100)
        {
            throw new InvalidOperationException($"{Variable} must be a whole number from 1 to 100, not '{text}'");
        }
        return runs;
    }
}
