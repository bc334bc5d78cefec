using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace MediaServer.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Token signing and checking: the signing key (its secret read by the caller from the key directory), the issuer of
    /// participant and staff tokens (<see cref="AuthOptions"/> from <c>IOptions</c>) and JWT bearer authentication that
    /// accepts only what the issuer signs.
    /// </summary>
    public static IServiceCollection AddAuth(this IServiceCollection services, byte[] signingSecret)
    {
        services.AddSingleton(new SigningKeys(signingSecret));
        services.AddSingleton(sp => new TokenIssuer(sp.GetRequiredService<SigningKeys>(),
            sp.GetRequiredService<IOptions<AuthOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((jwt, issuer) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = issuer.ValidationParameters();
            });
        return services;
    }
}
