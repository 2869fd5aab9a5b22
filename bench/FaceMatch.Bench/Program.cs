using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter syntax), e.g.
//   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*Cosine*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
