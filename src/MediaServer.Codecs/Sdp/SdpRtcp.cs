using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary><c>a=rtcp:&lt;port&gt; [&lt;nettype&gt; &lt;addrtype&gt; &lt;address&gt;]</c> (RFC 3605 §2.1): where the peer receives RTCP.</summary>
public sealed record SdpRtcp(int Port, string? NetType = null, string? AddressType = null, string? Address = null)
{
    public const string AttributeName = "rtcp";

    public static bool TryParse(string? value, out SdpRtcp? result, out string? error)
    {
        result = null;
        var fields = SdpText.SplitFields(value ?? string.Empty);
        if (fields.Length != 1 && fields.Length != 4)
        {
            error = $"expected '<port>' or '<port> <nettype> <addrtype> <address>' but found {SdpText.Quote(value)}";
            return false;
        }
        if (!SdpText.TryParseInt(fields[0], 0, 65535, out int port))
        {
            error = $"port {SdpText.Quote(fields[0])} is not a whole number in 0..65535";
            return false;
        }
        if (fields.Length == 4 && !(SdpText.IsToken(fields[1]) && SdpText.IsToken(fields[2]) && SdpText.IsVisible(fields[3])))
        {
            error = $"the address part of {SdpText.Quote(value)} is not '<nettype> <addrtype> <address>'";
            return false;
        }
        error = null;
        result = fields.Length == 1 ? new SdpRtcp(port) : new SdpRtcp(port, fields[1], fields[2], fields[3]);
        return true;
    }

    public override string ToString() =>
        Address is null
            ? Port.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{Port} {NetType} {AddressType} {Address}");
}
