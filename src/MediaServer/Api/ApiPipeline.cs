namespace MediaServer.Api;

/// <summary>The request pipeline in front of every endpoint, and the endpoints themselves (docs/api.md).</summary>
public static class ApiPipeline
{
    /// <summary>
    /// The pages load only their own script, style and media (no inline code, nothing from elsewhere) and may not be framed, so a
    /// hostile site can neither inject script into them nor overlay them to steal a click (End visit, release hold). The same
    /// headers go on every API answer: harmless there, and nothing is left out by a route that forgot them.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Forwarded headers from the configured proxy, security headers, problem+json errors, static files, body limits, then authentication, authorisation and rate limits.</summary>
    public static void UseApi(this WebApplication app)
    {
        // First, so that everything after it (audit, token bindings, rate limits) sees the client's address: believed only from
        // the proxies in MediaServer:Proxy, and from no one when that is empty (docs/deploy.md).
        app.UseForwardedHeaders();
        app.Use(SecurityHeaders);
        app.UseExceptionHandler();
        app.UseStaticFiles();
        app.UseStatusCodePages();
        RequestLimits.UseBodyLimits(app);
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorisation: limits are partitioned by the token, and a request without a valid one never spends them.
        app.UseRateLimiter();
    }

    /// <summary>The pages, every API endpoint, <c>/problems/{slug}</c> and the OpenAPI document at <c>/openapi/v1.json</c>.</summary>
    public static void MapApi(this WebApplication app)
    {
        // The pages: /visit (families, kiosks), /review (investigators), /officer (the officer console); tokens are pasted in.
        // Static, served from wwwroot beside the binary.
        var webRoot = app.Environment.WebRootPath ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        foreach (var name in new[] { "visit", "review", "officer" })
        {
            var page = Path.Combine(webRoot, name + ".html");
            app.MapGet("/" + name, () => File.Exists(page)
                    ? Results.File(page, "text/html; charset=utf-8")
                    : ApiResults.NotFound($"The {name} page is not installed beside the server binary (wwwroot/{name}.html)."))
                .WithTags("Pages").WithName(char.ToUpperInvariant(name[0]) + name[1..] + "Page")
                .WithSummary($"The {name} page (HTML; its token is pasted in, never sent in the URL).")
                .Produces(StatusCodes.Status200OK, contentType: "text/html");
        }
        MetricsEndpoint.Map(app);
        ReadinessEndpoint.Map(app);
        VisitEndpoints.Map(app);
        AuditEndpoints.Map(app);
        RecordingEndpoints.Map(app);
        RecordingRenderEndpoint.Map(app);
        ConsoleEndpoints.Map(app);
        ProblemEndpoints.Map(app);
        app.MapOpenApi();
    }

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return next();
    }
}
