namespace MediaServer.Testing;

/// <summary>Keeps the last lines a child process printed, so a failing test can show them without unbounded memory.</summary>
public sealed class OutputRing
{
    private readonly Queue<string> _lines;
    private readonly int _capacity;
    private readonly object _gate = new();
    private long _total;

    public OutputRing(int capacity)
    {
        _capacity = capacity;
        _lines = new Queue<string>(capacity);
    }

    public long TotalLines
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    public void Add(string line)
    {
        lock (_gate)
        {
            if (_lines.Count == _capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
            _total++;
        }
    }

    public string[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    /// <summary>The retained lines, with a note of how many earlier ones were dropped.</summary>
    public string Render(int maxLines = int.MaxValue)
    {
        string[] lines;
        long total;
        lock (_gate)
        {
            lines = [.. _lines];
            total = _total;
        }

        var start = Math.Max(0, lines.Length - maxLines);
        var dropped = total - (lines.Length - start);
        var text = string.Join('\n', lines, start, lines.Length - start);
        return dropped > 0 ? $"... ({dropped} earlier lines dropped)\n{text}" : text;
    }
}
