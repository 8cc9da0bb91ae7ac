using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;
using UnimoG.Hosting.Interceptors;

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
    /// One model-serving role of a host: its options section bound and validated (and registered as a singleton), the
    /// fault interceptor, and its engine loaded in the background from those options (<see cref="AddModelSlot{T}"/>).
    /// </summary>
    public static TOptions AddModelRole<TOptions, TEngine>(WebApplicationBuilder builder, string section, string gate,
        Func<IServiceProvider, TOptions, TEngine> load, Func<TEngine, string?> warning)
        where TOptions : class, IValidatedOptions, new()
        where TEngine : class, IDisposable
    {
        var options = UnimoGOptions.Bind<TOptions>(builder.Services, builder.Configuration, section);
        builder.Services.AddSingleton(options);
        builder.Services.AddUnimoGFaults();
        AddModelSlot(builder.Services, gate, sp => load(sp, options), warning);
        return options;
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
