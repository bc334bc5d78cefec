using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace MediaServer.Testing;

/// <summary>HTTP clients whose connections leave from a chosen local address (a second loopback address: another host or network).</summary>
public static class LocalAddressClient
{
    /// <param name="acceptSelfSigned">Accept a certificate whose only fault is an untrusted chain (one the test made); the name must still match.</param>
    public static HttpClient Create(IPAddress local, Uri baseAddress, bool acceptSelfSigned = false)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (acceptSelfSigned)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, errors) =>
                errors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateChainErrors;
        }
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }
}
