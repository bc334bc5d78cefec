using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace MediaServer.Hosting;

/// <summary>
/// MediaServer:Proxy: the reverse proxy (nginx, Caddy) in front of the server, the only peer whose X-Forwarded-For and
/// X-Forwarded-Proto are believed (docs/deploy.md, "Behind nginx"). Empty, the default: no forwarded header is believed from
/// anyone, so a client cannot write its own address into the audit trail or a token binding.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>The proxy's own addresses, as it connects to this server (e.g. 127.0.0.1 when nginx runs on the same host).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of proxies in CIDR form (e.g. 10.20.0.0/28 for a pool of load balancers).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies deep to read X-Forwarded-For (one nginx: 1).</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<string> Problems()
    {
        foreach (var proxy in KnownProxies)
        {
            if (!IPAddress.TryParse(proxy, out _))
            {
                yield return $"MediaServer:Proxy:KnownProxies: '{proxy}' is not an IP address.";
            }
        }
        foreach (var network in KnownNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                yield return $"MediaServer:Proxy:KnownNetworks: '{network}' is not a CIDR prefix such as 10.20.0.0/28 (no bits set past the prefix length).";
            }
        }
        if (ForwardLimit is < 1 or > 5)
        {
            yield return "MediaServer:Proxy:ForwardLimit must be from 1 to 5.";
        }
    }

    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto from the configured proxies only: the framework's defaults (loopback trusted) are
    /// cleared, so with nothing configured nothing is trusted.
    /// </summary>
    public void Apply(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.ForwardLimit = ForwardLimit;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        }
        foreach (var network in KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }
    }
}
