namespace UnimoG.Data.Config;

/// <summary>A model folder that is missing or incomplete; services answer FailedPrecondition with this message.</summary>
public sealed class ModelFolderException(string message, Exception? inner = null) : Exception(message, inner);
