namespace MediaServer.Transport;

/// <summary>
/// A media port the configuration names cannot be bound at start (another process holds it, or the address is not this
/// machine's). Its message names the setting to change; the command line prints it as one line and exits 2.
/// </summary>
public sealed class MediaPortUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
