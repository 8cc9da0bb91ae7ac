using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Hosting;
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

    /// <summary>
    /// Registers a model loaded in the background when the host starts (<see cref="ModelSlot{T}"/>), as the singleton the
    /// services resolve and as the hosted service that loads it.
    /// </summary>
    public static void AddModelSlot<T>(IServiceCollection services, string gate, Func<IServiceProvider, T> load, Func<T, string?> warning)
        where T : class, IDisposable
    {
        services.AddSingleton(sp => new ModelSlot<T>(gate, () => load(sp),
            sp.GetRequiredService<Readiness>(), sp.GetRequiredService<ILogger<ModelSlot<T>>>(), warning));
        services.AddHostedService(sp => sp.GetRequiredService<ModelSlot<T>>());
    }
}
