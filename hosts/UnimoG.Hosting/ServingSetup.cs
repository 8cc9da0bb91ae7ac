using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Hosting;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;

namespace UnimoG.Hosting;

public static class ServingSetup
{
    /// <summary>Binds and validates a section shared by several roles of one host (e.g. <c>Model</c>) once.</summary>
    public static T BindShared<T>(WebApplicationBuilder builder, string section) where T : class, IValidatedOptions, new()
    {
        if (!builder.Services.Any(d => d.ServiceType == typeof(IValidateOptions<T>)))
            return UnimoGOptions.Bind<T>(builder.Services, builder.Configuration, section);
        return UnimoGOptions.Read<T>(builder.Configuration, section);
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
