using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.WebRtcTests.Harness;

namespace MediaServer.WebRtcTests;

internal sealed record ReviewStubRequest(string Method, string PathAndQuery, string? Authorization, string? Range);

/// <summary>
/// Serves the /review page's files (and the shared ones under common/) and answers the recordings API as each test says, plus an MP4 with HTTP range
/// requests (RFC 9110 §14): the page's player, bookmarks and error messages checked in Chromium without waiting for a real
/// recording to be rendered. In-process (HttpListener), loopback only.
/// </summary>
internal sealed class ReviewStub : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _disposed;

    public Uri BaseAddress { get; }

    public ConcurrentQueue<ReviewStubRequest> Requests { get; } = new();

    /// <summary>Answers /api/… requests other than …/media (method, path without query); null means 404.</summary>
    public Func<string, string, (int Status, object Body)?> Api { get; set; } = (_, _) => null;

    /// <summary>The file served for GET /api/recordings/{id}/media (with ranges).</summary>
    public string? MediaFile { get; set; }

    public ReviewStub()
    {
        BaseAddress = new Uri($"http://127.0.0.1:{PortAllocator.FreeTcpPort()}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public static (int, object) Problem(int status, string detail) =>
        (status, new { type = "about:blank", title = "refused", status, detail });

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
            // Concurrently: a <video> keeps one range request open while it asks for another.
            _ = Task.Run(async () =>
            {
                try
                {
                    await HandleAsync(context);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The page went away mid-response.
                }
            });
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        Requests.Enqueue(new ReviewStubRequest(request.HttpMethod, request.Url.PathAndQuery, request.Headers["Authorization"],
            request.Headers["Range"]));
        var response = context.Response;
        // No kept-alive connections: once the stub is disposed the browser's next request is refused at once, as for a server
        // that has gone, instead of waiting on a connection the closed listener no longer reads.
        response.KeepAlive = false;
        if (request.HttpMethod == "GET" && path.StartsWith("/api/recordings/", StringComparison.Ordinal)
            && path.EndsWith("/media", StringComparison.Ordinal) && MediaFile is not null)
        {
            await ServeMediaAsync(request, response, MediaFile);
            return;
        }
        if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            var answer = Api(request.HttpMethod, path);
            var (status, body) = answer ?? Problem(404, "stub: no such endpoint");
            response.StatusCode = status;
            response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
            await WriteAsync(response, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, JsonSerializerOptions.Web)));
            return;
        }
        var file = path switch
        {
            "/review" => "review.html",
            _ when System.Text.RegularExpressions.Regex.IsMatch(path, @"^/(review(-[a-z]+)?\.(js|css)|common/[a-z-]+\.(js|css))$") => path[1..],
            _ => null,
        };
        if (request.HttpMethod != "GET" || file is null)
        {
            response.StatusCode = 404;
            await WriteAsync(response, "not found"u8.ToArray());
            return;
        }
        response.ContentType = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => "text/css; charset=utf-8",
        };
        await WriteAsync(response, await File.ReadAllBytesAsync(Path.Combine(RepoLayout.WwwRoot, file)));
    }

    // RFC 9110 §14.1.2: "bytes=first-" or "bytes=first-last"; one range is all a media element asks for.
    private static async Task ServeMediaAsync(HttpListenerRequest request, HttpListenerResponse response, string file)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        long first = 0, last = bytes.Length - 1;
        var range = request.Headers["Range"];
        var partial = false;
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && !range.Contains(',', StringComparison.Ordinal))
        {
            var parts = range["bytes=".Length..].Split('-');
            if (parts[0].Length > 0 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var from) && from < bytes.Length)
            {
                first = from;
                if (parts.Length > 1 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var to))
                {
                    last = Math.Min(to, bytes.Length - 1);
                }
                partial = true;
            }
        }
        response.ContentType = "video/mp4";
        response.Headers["Accept-Ranges"] = "bytes";
        if (partial)
        {
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {first}-{last}/{bytes.Length}";
        }
        await WriteAsync(response, bytes.AsMemory((int)first, (int)(last - first + 1)));
    }

    private static async Task WriteAsync(HttpListenerResponse response, ReadOnlyMemory<byte> body)
    {
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
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
