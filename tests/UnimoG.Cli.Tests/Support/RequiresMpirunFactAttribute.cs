namespace UnimoG.Cli.Tests;

/// <summary>
/// A fact that needs Open MPI's <c>mpirun</c> (Debian: openmpi-bin libopenmpi-dev, which .ci/run installs): skipped,
/// saying why, where it is missing (like the Hosting tests' RequiresToolFact).
/// </summary>
public sealed class RequiresMpirunFactAttribute : FactAttribute
{
    public RequiresMpirunFactAttribute()
    {
        if (!Mpirun.Available) Skip = "Needs mpirun and libmpi.so.40 (Debian: apt-get install openmpi-bin libopenmpi-dev), not installed here.";
    }
}
