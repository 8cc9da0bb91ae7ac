using UnimoG.Cli;

return await CliApp.RunAsync(args);
