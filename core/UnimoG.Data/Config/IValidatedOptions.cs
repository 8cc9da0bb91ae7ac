namespace UnimoG.Data.Config;

/// <summary>An options class that checks itself and names the configuration key of every bad value.</summary>
public interface IValidatedOptions
{
    /// <summary>One human sentence per problem, each naming its key (e.g. "Hosting:GrpcPort must be ...").</summary>
    IEnumerable<string> Validate(string section);
}
