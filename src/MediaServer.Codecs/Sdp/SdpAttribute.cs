namespace MediaServer.Codecs.Sdp;

/// <summary>
/// One <c>a=</c> line (RFC 8866 §5.13): <c>a=name</c> (a property attribute, <see cref="Value"/> is null) or
/// <c>a=name:value</c> (<see cref="Value"/> may be empty). Every attribute is kept in order, so unknown ones round-trip.
/// </summary>
public sealed record SdpAttribute(string Name, string? Value = null)
{
    public override string ToString() => Value is null ? Name : Name + ":" + Value;
}
