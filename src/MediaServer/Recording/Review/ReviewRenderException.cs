namespace MediaServer.Recording.Review;

/// <summary>The review copy could not be made; the message carries the end of FFmpeg's error output when FFmpeg failed.</summary>
public sealed class ReviewRenderException : Exception
{
    public ReviewRenderException()
    {
    }

    public ReviewRenderException(string message)
        : base(message)
    {
    }

    public ReviewRenderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
