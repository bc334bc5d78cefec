using System.Net;
using MediaServer.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MediaServer.Routing;

public static class RelayServiceCollectionExtensions
{
    /// <summary>
    /// The relay and its plain-RTP transport: <see cref="RelayOptions"/> (MediaServer:Relay) as the <see cref="FeedbackPolicy"/>
    /// every slot and track answers within, and <see cref="RtpOptions"/> (MediaServer:Rtp) as the port range and the networks
    /// plain RTP is accepted from. The values are validated where the root options are (Hosting).
    /// </summary>
    public static IServiceCollection AddRelay(this IServiceCollection services)
    {
        services.AddOptions<RtpOptions>().BindConfiguration(RtpOptions.SectionName);
        services.AddOptions<RelayOptions>().BindConfiguration(RelayOptions.SectionName);
        services.AddSingleton(sp =>
        {
            var rtp = sp.GetRequiredService<IOptions<RtpOptions>>().Value;
            return new PortAllocator(IPAddress.Parse(rtp.ListenAddress), rtp.PortMin, rtp.PortMax);
        });
        services.AddSingleton(sp => AllowedNetworks.Parse(sp.GetRequiredService<IOptions<RtpOptions>>().Value.AllowedNetworks));
        services.AddSingleton(sp => new FeedbackPolicy(sp.GetRequiredService<IOptions<RelayOptions>>().Value));
        // The datagram path (batched I/O threads or async loops), chosen before the WebRTC port or any leg opens a socket.
        services.AddSingleton<DatagramIo.Selection>();
        services.AddHostedService(sp => sp.GetRequiredService<DatagramIo.Selection>());
        // The shared pairs for symmetric clients, bound at start on the path chosen above (resolved first for that reason).
        services.AddSingleton(sp =>
        {
            sp.GetRequiredService<DatagramIo.Selection>();
            return ActivatorUtilities.CreateInstance<SharedRtpPorts>(sp);
        });
        services.AddHostedService(sp => sp.GetRequiredService<SharedRtpPorts>());
        return services;
    }
}
