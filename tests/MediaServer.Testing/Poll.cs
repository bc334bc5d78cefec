namespace MediaServer.Testing;

/// <summary>Waits for a condition by polling against a deadline: the alternative to fixed sleeps.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds; throws with the last value seen.</summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> done,
        TimeSpan timeout,
        string what,
        TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last value: {Describe(value)}");
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>A value for a timeout message: records and strings as they print, other objects as JSON.</summary>
    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string or ValueType => value.ToString() ?? "",
        _ when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType != typeof(object) => value.ToString() ?? "",
        _ => System.Text.Json.JsonSerializer.Serialize(value),
    };

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), static ok => ok, timeout, what, interval);

    /// <summary>Waits until the wall clock passes <paramref name="instant"/> (a scheduled visit end, say).</summary>
    public static async Task UntilClockPassesAsync(DateTimeOffset instant)
    {
        while (DateTimeOffset.UtcNow <= instant)
        {
            var remaining = instant - DateTimeOffset.UtcNow;
            await Task.Delay(remaining > TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : remaining + TimeSpan.FromMilliseconds(1));
        }
    }
}
