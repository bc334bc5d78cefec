using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// Every error the API returns is RFC 9457 problem+json with a <c>type</c> (<c>/problems/{slug}</c>, one of
/// <see cref="ProblemTypes"/>), status, title and detail — never a stack trace.
/// </summary>
public static class ApiResults
{
    public static IResult Problem(int status, string type, string title, string detail) =>
        Results.Problem(statusCode: status, type: ProblemTypes.Uri(type), title: title, detail: detail);

    public static IResult Refused(JoinRefusal refusal, string? detailSuffix = null) =>
        refusal.OpensAt is { } opensAt
            ? Results.Problem(statusCode: refusal.Status, type: ProblemTypes.Uri(refusal.Type), title: refusal.Title, detail: refusal.Detail + detailSuffix,
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["opensAt"] = opensAt })
            : Problem(refusal.Status, refusal.Type, refusal.Title, refusal.Detail + detailSuffix);

    public static IResult BadRequest(string detail, string type = ProblemTypes.BadRequest) => Problem(400, type, "Bad request", detail);

    public static IResult Forbidden(string detail, string type = ProblemTypes.Forbidden) => Problem(403, type, "Forbidden", detail);

    /// <summary>
    /// Gives the problems the framework writes itself (a bare 401 from authentication, a 404 for an unknown route,
    /// a 500 from the exception handler) a <c>type</c> of ours; a problem that already has one keeps it.
    /// </summary>
    public static void DefaultType(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type is not null && problem.Type.StartsWith("/problems/", StringComparison.Ordinal))
        {
            return;
        }
        problem.Type = ProblemTypes.Uri(problem.Status switch
        {
            StatusCodes.Status401Unauthorized => ProblemTypes.Unauthorized,
            StatusCodes.Status403Forbidden => ProblemTypes.Forbidden,
            StatusCodes.Status404NotFound => ProblemTypes.NotFound,
            StatusCodes.Status413PayloadTooLarge => ProblemTypes.BodyTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemTypes.UnsupportedMediaType,
            StatusCodes.Status429TooManyRequests => ProblemTypes.TooManyRequests,
            >= 500 => ProblemTypes.Unhealthy,
            _ => ProblemTypes.BadRequest,
        });
    }

    public static IResult NotFound(string detail) => Problem(404, ProblemTypes.NotFound, "Not found", detail);
}
