using System.Globalization;

namespace MediaServer.Testing;

/// <summary>
/// Debian's nginx (scripts/setup.sh --test installs it) in front of a server process, as docs/deploy.md's "Behind nginx" layout:
/// TLS at nginx with a certificate openssl made, proxying to the server's loopback HTTP port from its own source address
/// (<see cref="ProxySourceAddress"/>, with proxy_bind), so that the server can tell the proxy from a client on the same host.
/// Runs in the foreground as one process (no daemon, no worker processes) and is killed when disposed.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    /// <summary>The address nginx connects to the server from: the one MediaServer:Proxy:KnownProxies names.</summary>
    public const string ProxySourceAddress = "127.0.0.2";

    private readonly ChildProcess _process;
    private readonly string _directory;

    private NginxProxy(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public string Log => _process.Output.Render() + ReadIfThere("error.log");

    /// <summary>nginx's access log: every request it proxied.</summary>
    public string AccessLog => ReadIfThere("access.log");

    public static async Task<NginxProxy> StartAsync(int upstreamPort)
    {
        if (!File.Exists("/usr/sbin/nginx"))
        {
            throw new InvalidOperationException("nginx is not installed (scripts/setup.sh --test installs Debian's).");
        }
        var directory = Directory.CreateTempSubdirectory("mediaserver-nginx-").FullName;
        var certificate = Path.Combine(directory, "fullchain.pem");
        var key = Path.Combine(directory, "privkey.pem");
        await TestCertificates.MakePemAsync(certificate, key, "proxy.test");
        var port = PortAllocator.FreeTcpPort();
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events { worker_connections 64; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    ssl_certificate {{certificate}};
                    ssl_certificate_key {{key}};
                    location / {
                        proxy_pass http://127.0.0.1:{{upstreamPort}};
                        proxy_bind {{ProxySourceAddress}};
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $remote_addr;
                        proxy_set_header X-Forwarded-Proto $scheme;
                    }
                }
            }
            """));
        var process = ChildProcess.Start("nginx", "/usr/sbin/nginx", ["-p", directory, "-c", config, "-e", Path.Combine(directory, "error.log")]);
        var proxy = new NginxProxy(process, directory, port);
        try
        {
            await Poll.UntilAsync(async () => process.HasExited ? "exited" : await TestCertificates.ServedThumbprintAsync(proxy.BaseAddress),
                served => served == "exited" || !served.StartsWith("no answer", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
                "nginx to answer on its TLS port");
            if (process.HasExited)
            {
                throw new InvalidOperationException("nginx exited at start:\n" + proxy.Log);
            }
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    private string ReadIfThere(string name)
    {
        var path = Path.Combine(_directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
