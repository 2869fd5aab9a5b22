// hnswlib (Debian libhnswlib-dev, header-only) on the same vectors as `facematch bench ann`, for the measurement
// that chose FaceMatch's own HNSW over a native shim (docs/matching.md). Built and run by bench/faiss/compare_ann.py:
//   g++ -O3 -march=native -std=c++17 -I/usr/include bench/ann/hnswlib_bench.cpp -o hnswlib_bench
//   hnswlib_bench VECTORS.f32 PROBES.f32 TRUTH.i32 N DIM QUERIES M EF_CONSTRUCTION EF[,EF...]
// Files are raw little-endian arrays: N x DIM and QUERIES x DIM float32 (L2-normalised), QUERIES x 10 int32 (the
// exact top 10 of each probe). Prints one JSON object. One thread, one query at a time.
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

template <typename T>
static std::vector<T> read_all(const char* path, size_t count) {
    std::vector<T> data(count);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(count * sizeof(T)));
    if (!in) { std::fprintf(stderr, "cannot read %zu values from %s\n", count, path); std::exit(2); }
    return data;
}

int main(int argc, char** argv) {
    if (argc != 10) { std::fprintf(stderr, "usage: %s VECTORS PROBES TRUTH N DIM QUERIES M EF_CONSTRUCTION EF[,EF...]\n", argv[0]); return 2; }
    size_t n = std::strtoull(argv[4], nullptr, 10), dim = std::strtoull(argv[5], nullptr, 10), queries = std::strtoull(argv[6], nullptr, 10);
    size_t m = std::strtoull(argv[7], nullptr, 10), ef_construction = std::strtoull(argv[8], nullptr, 10);
    std::vector<size_t> efs;
    std::stringstream list(argv[9]);
    for (std::string item; std::getline(list, item, ',');) efs.push_back(std::strtoull(item.c_str(), nullptr, 10));

    auto vectors = read_all<float>(argv[1], n * dim);
    auto probes = read_all<float>(argv[2], queries * dim);
    auto truth = read_all<int>(argv[3], queries * 10);

    using clock = std::chrono::steady_clock;
    hnswlib::InnerProductSpace space(dim);
    auto start = clock::now();
    hnswlib::HierarchicalNSW<float> index(&space, n, m, ef_construction, 42);
    for (size_t i = 0; i < n; i++) index.addPoint(vectors.data() + i * dim, i);
    double build = std::chrono::duration<double>(clock::now() - start).count();

    std::printf("{\"library\":\"hnswlib\",\"n\":%zu,\"dim\":%zu,\"queries\":%zu,\"m\":%zu,\"ef_construction\":%zu,\"build_seconds\":%.2f,"
                "\"index_bytes\":%zu,\"runs\":[",
                n, dim, queries, m, ef_construction, build,
                static_cast<size_t>(index.max_elements_ * index.size_data_per_element_ +
                                    index.max_elements_ * sizeof(void*)));
    for (size_t e = 0; e < efs.size(); e++) {
        index.setEf(efs[e]);
        for (size_t q = 0; q < std::min<size_t>(queries, 100); q++) index.searchKnn(probes.data() + q * dim, 10);  // warm-up
        size_t top1 = 0;
        double recall10 = 0;
        auto t0 = clock::now();
        std::vector<std::vector<size_t>> results(queries);
        for (size_t q = 0; q < queries; q++) {
            auto found = index.searchKnn(probes.data() + q * dim, 10);
            while (!found.empty()) { results[q].push_back(found.top().second); found.pop(); }  // worst first
        }
        double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        for (size_t q = 0; q < queries; q++) {
            if (!results[q].empty() && static_cast<int>(results[q].back()) == truth[q * 10]) top1++;
            std::set<int> want(truth.begin() + q * 10, truth.begin() + q * 10 + 10);
            size_t hit = 0;
            for (auto id : results[q]) hit += want.count(static_cast<int>(id));
            recall10 += hit / 10.0;
        }
        std::printf("%s{\"ef\":%zu,\"queries_per_sec\":%.1f,\"recall_at_1\":%.4f,\"recall_at_10\":%.4f}", e ? "," : "", efs[e],
                    queries / seconds, static_cast<double>(top1) / queries, recall10 / queries);
    }
    std::printf("]}\n");
    return 0;
}
