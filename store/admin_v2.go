package store

// ReleaseAsset is one release_assets row: the locale object stored at Path
// (".platforms.<p>.locales.<l>") of a split (v2) release.
type ReleaseAsset struct {
	Name        string
	Path        string
	Data        []byte
	DataVersion int
}
