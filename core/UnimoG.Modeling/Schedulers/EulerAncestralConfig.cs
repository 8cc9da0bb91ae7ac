using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>diffusers' <c>EulerAncestralDiscreteScheduler</c> configuration (v0.31.0 keys and defaults).</summary>
public sealed record EulerAncestralConfig : DiffusersSchedulerConfig, IValidatedConfig
{
    public override string ClassName => "EulerAncestralDiscreteScheduler";

    // diffusers raises NotImplementedError for prediction_type "sample" here.
    public void Validate(ConfigLocation at) => ValidateCommon(at, "epsilon", "v_prediction");
}
