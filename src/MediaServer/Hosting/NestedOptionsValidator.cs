using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MediaServer.Hosting;

/// <summary>
/// Checks the data annotations ([Range], [Required]) of every section under "MediaServer" (Rtp, Recording, Limits, ...).
/// <c>ValidateDataAnnotations</c> checks only the root object's own members and never descends into the sections, so without
/// this a value such as MediaServer:Rtp:IoThreads=500 was taken as it came. Each problem is one line naming the full key.
/// </summary>
internal sealed class NestedOptionsValidator : IValidateOptions<MediaServerOptions>
{
    public ValidateOptionsResult Validate(string? name, MediaServerOptions options)
    {
        var problems = new List<string>();
        foreach (var property in typeof(MediaServerOptions).GetProperties())
        {
            // 1. Only the sections: classes of this project with settable members (strings are leaves).
            if (!property.PropertyType.IsClass || property.PropertyType == typeof(string) || property.GetIndexParameters().Length > 0
                || property.PropertyType.Namespace?.StartsWith("MediaServer", StringComparison.Ordinal) != true
                || property.GetValue(options) is not { } section)
            {
                continue;
            }
            // 2. Every annotated member of the section, with the key a deployer would set.
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
            {
                continue;
            }
            foreach (var result in results)
            {
                var member = result.MemberNames.FirstOrDefault() ?? "";
                problems.Add($"{MediaServerOptions.SectionName}:{property.Name}:{member}: {result.ErrorMessage}");
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
