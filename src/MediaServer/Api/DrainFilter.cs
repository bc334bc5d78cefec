using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// While the server drains (<see cref="ServerDrain"/>, after SIGTERM) a page's join, roster poll and leave are answered 503
/// <c>restarting</c> with <c>Retry-After: 1</c>: the page rejoins with the same token as soon as the new server answers.
/// </summary>
public static class DrainFilter
{
    public const string Title = "Server restarting";

    public const string Detail = "The server is restarting. Join again with the same code in a moment: your visit goes on.";

    public static async ValueTask<object?> Check(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.RequestServices.GetRequiredService<ServerDrain>().IsDraining)
        {
            http.Response.Headers.RetryAfter = "1";
            return ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Restarting, Title, Detail);
        }
        return await next(context).ConfigureAwait(false);
    }
}
