// Pins the SeaweedFS the real-process object-store test builds `weed` from (test/real/support/seaweedfs.ts).
// The pseudo-version (commit 7506e5f91cd6, SeaweedFS 4.53 per weed/util/version/constants.go) is the one
// proxy.golang.org served for github.com/seaweedfs/seaweedfs on 2026-12-02 (downloaded by `go build`);
// components/objectstore/seaweedfsServer.ts pins the image of the same release.
module mlstack.local/tools/seaweedfs

go 1.26.6

require github.com/seaweedfs/seaweedfs v0.0.0-20261109003541-7506e5f91cd6
