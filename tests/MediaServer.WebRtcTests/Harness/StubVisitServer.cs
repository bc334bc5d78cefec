using System.Collections.Concurrent;
using System.Net;
using System.Text;
using MediaServer.Testing;

namespace MediaServer.WebRtcTests.Harness;

internal sealed record StubRequest(string Method, string Path, string? Authorization, string? ContentType, string Body);

internal sealed record StubResponse(int Status, string ContentType, string Body, string? Location = null);

/// <summary>
/// Serves src/MediaServer/wwwroot and answers the join endpoint as told, so the /visit page (and /officer, whose feed a test
/// routes in the browser) can be checked in Chromium without a server that speaks WebRTC. In-process (HttpListener), loopback only.
/// </summary>
internal sealed class StubVisitServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public Uri BaseAddress { get; }

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public Func<StubRequest, StubResponse> Join { get; set; } = _ => Problem(501, "WebRTC not available", "stub");

    public StubVisitServer()
    {
        var port = PortAllocator.FreeTcpPort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <param name="slug">The problem type's slug (type "/problems/{slug}"); null for a problem without one (about:blank).</param>
    public static StubResponse Problem(int status, string title, string detail, string? slug = null) =>
        new(status, "application/problem+json",
            System.Text.Json.JsonSerializer.Serialize(new { type = slug is null ? "about:blank" : "/problems/" + slug, title, status, detail }));

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                await HandleAsync(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // The page went away mid-response.
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var stub = new StubRequest(request.HttpMethod, request.Url!.AbsolutePath, request.Headers["Authorization"], request.ContentType,
            await reader.ReadToEndAsync());
        Requests.Enqueue(stub);
        var response = Route(stub);
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = response.ContentType;
        if (response.Location is not null)
        {
            context.Response.Headers["Location"] = response.Location;
        }
        var bytes = Encoding.UTF8.GetBytes(response.Body);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private StubResponse Route(StubRequest request)
    {
        if (request.Method == "POST" && request.Path.StartsWith("/api/visits/", StringComparison.Ordinal)
            && request.Path.EndsWith("/join", StringComparison.Ordinal))
        {
            return Join(request);
        }
        var file = request.Path switch
        {
            "/visit" => "visit.html",
            "/officer" => "officer.html",
            _ when IsPageFile(request.Path) => request.Path[1..],
            _ => null,
        };
        if (request.Method != "GET" || file is null)
        {
            return new StubResponse(404, "text/plain", "not found");
        }
        var type = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => "text/css; charset=utf-8",
        };
        return new StubResponse(200, type, File.ReadAllText(Path.Combine(RepoLayout.WwwRoot, file)));
    }

    /// <summary>A page's own files (visit.html, visit.js, visit-*.js, visit.css; the same for officer) and the shared ones under common/.</summary>
    public static bool IsPageFile(string path) =>
        System.Text.RegularExpressions.Regex.IsMatch(path, @"^/((visit|officer)(-[a-z]+)?\.(html|js|css)|common/[a-z-]+\.(js|css))$");

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
