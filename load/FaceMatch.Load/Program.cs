using FaceMatch.Load;

// facematch-load --help lists the options; README.md's "Load generator" section has examples.
return await LoadCommand.InvokeAsync(args);
