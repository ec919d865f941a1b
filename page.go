package chengnuo

// Page limits.
const (
	DefaultPageSize = 100
	MaxPageSize     = 500
)

// Page asks for one page of a list: at most Size rows (0: DefaultPageSize)
// after the position Bookmark names (empty: from the start). Bookmarks are
// opaque strings handed out by the previous page.
type Page struct {
	Size     int    `json:"size,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Limit returns the page size to use, or an EINVALID error.
func (p Page) Limit() (int, error) {
	switch {
	case p.Size == 0:
		return DefaultPageSize, nil
	case p.Size < 0 || p.Size > MaxPageSize:
		return 0, Errorf(EINVALID, "page size must be 1 to %d", MaxPageSize)
	}
	return p.Size, nil
}

// List is one page of a list. More says whether rows follow; then Bookmark
// asks for the next page. Nothing is ever cut off silently.
type List[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark,omitempty"`
	More     bool   `json:"more"`
}
