using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;

namespace UnimoG.Serving;

public static class ServingSetup
{
    /// <summary>Binds and validates section <c>Model</c> once per host (several roles may share a host).</summary>
    public static ModelOptions BindModelOptions(WebApplicationBuilder builder)
    {
        if (!builder.Services.Any(d => d.ServiceType == typeof(IValidateOptions<ModelOptions>)))
            return UnimoGOptions.Bind<ModelOptions>(builder.Services, builder.Configuration, ModelOptions.Section);
        return UnimoGOptions.Read<ModelOptions>(builder.Configuration, ModelOptions.Section);
    }
}
