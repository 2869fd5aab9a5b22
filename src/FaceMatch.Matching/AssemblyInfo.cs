using System.Runtime.CompilerServices;

// Scratch buffers (stackalloc) are always fully written or explicitly cleared before use; zeroing them first
// would only cost time in the 1:1 and scan paths.
[module: SkipLocalsInit]
