namespace MediaServer.Api;

/// <summary>Every error the API returns is RFC 9457 problem+json with status, title and detail — never a stack trace.</summary>
public static class ApiResults
{
    public static IResult Problem(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    public static IResult BadRequest(string detail) => Problem(400, "Bad request", detail);

    public static IResult Forbidden(string detail) => Problem(403, "Forbidden", detail);

    public static IResult NotFound(string detail) => Problem(404, "Not found", detail);
}
