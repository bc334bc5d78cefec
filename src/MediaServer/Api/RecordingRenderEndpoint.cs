using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Recording;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary><c>POST /api/recordings/{id}/render</c>: an admin queues a render_failed recording for one more render (docs/api.md).</summary>
public static class RecordingRenderEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/recordings/{id}/render", RenderAgain).RequireAuthorization(Policies.Admin).WithTags("Recordings")
            .WithName("RenderRecordingAgain").WithSummary("Render a render_failed recording again, after FFmpeg is fixed (admin).");

    private static IResult RenderAgain(string id, ClaimsPrincipal user, RecordingService recordings, IAuditLog audit)
    {
        var was = recordings.RenderAgain(id);
        var target = "recording/" + id;
        switch (was)
        {
            case null or RecordingState.Purged:
                audit.Append(user.Subject(), user.Role(), "recording.render", target, "refused: not found");
                return ApiResults.Problem(404, ProblemTypes.NotFound, "No such recording", $"No recording {id}.");
            case RecordingState.RenderFailed:
                audit.Append(user.Subject(), user.Role(), "recording.render", target, "ok");
                return Results.Accepted($"/api/recordings/{id}", new { visit = id, state = RecordingStates.Name(RecordingState.Sealed) });
            default:
                var state = RecordingStates.Name(was.Value);
                audit.Append(user.Subject(), user.Role(), "recording.render", target, "refused: " + state);
                return ApiResults.Problem(409, ProblemTypes.BadRequest, "Not render_failed",
                    $"Recording {id} is {state}: only a render_failed recording is rendered again.");
        }
    }
}
