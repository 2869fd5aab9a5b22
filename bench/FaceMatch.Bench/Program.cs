using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter syntax), e.g.
//   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*Cosine*'
// `grpc-echo-server [port]` instead hosts the gRPC echo service for an outside load generator.
if (args is ["grpc-echo-server", ..]) return await FaceMatch.Bench.Grpc.EchoServerMode.RunAsync(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
