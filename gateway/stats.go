package gateway

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/supervision"
)

// StatsFilter reads the supervision figures' filter from a query: from
// and to are days (YYYY-MM-DD, China; to is the last day, included),
// department an MSP id, item a code, asOf an RFC 3339 time.
func StatsFilter(q func(string) string) (chengnuo.StatsFilter, error) {
	var f chengnuo.StatsFilter
	var err error
	if v := q("from"); v != "" {
		if f.From, err = chengnuo.ParseDay(v); err != nil {
			return f, chengnuo.Errorf(chengnuo.EINVALID, "from: %s", chengnuo.ErrorMessage(err))
		}
	}
	if v := q("to"); v != "" {
		d, err := chengnuo.ParseDay(v)
		if err != nil {
			return f, chengnuo.Errorf(chengnuo.EINVALID, "to: %s", chengnuo.ErrorMessage(err))
		}
		f.To = d.AddDate(0, 0, 1) // the last day included
	}
	if v := q("asOf"); v != "" {
		if f.AsOf, err = time.Parse(time.RFC3339, v); err != nil {
			return f, chengnuo.Errorf(chengnuo.EINVALID, "asOf must be an RFC 3339 time")
		}
	}
	f.Department, f.Item = q("department"), q("item")
	if len(f.Department) > 64 || len(f.Item) > 64 {
		return f, chengnuo.Errorf(chengnuo.EINVALID, "department and item are at most 64 characters")
	}
	return f, nil
}

// stats answers the supervision figures as JSON, CSV or a workbook, as the
// Accept header (or ?format=csv|xlsx, for a link) asks.
func (s *Server) stats(c *gin.Context) {
	f, err := StatsFilter(c.Query)
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.svc.Stats(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	format, accept := c.Query("format"), c.GetHeader("Accept")
	switch {
	case format == "csv" || format == "" && strings.Contains(accept, supervision.MediaCSV):
		s.statsFile(c, rep, "csv", supervision.MediaCSV+"; charset=utf-8")
	case format == "xlsx" || format == "" && strings.Contains(accept, supervision.MediaXLSX):
		s.statsFile(c, rep, "xlsx", supervision.MediaXLSX)
	case format == "" || format == "json":
		c.JSON(http.StatusOK, rep)
	default:
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "format must be json, csv or xlsx"))
	}
}

func (s *Server) statsFile(c *gin.Context, rep *chengnuo.StatsReport, ext, media string) {
	names, _ := s.svc.Departments(c.Request.Context())
	var buf bytes.Buffer
	write := supervision.CSV
	if ext == "xlsx" {
		write = supervision.XLSX
	}
	if err := write(&buf, rep, names); err != nil {
		s.fail(c, chengnuo.Internal("could not write the figures", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="chengnuo-stats.`+ext+`"`)
	c.Data(http.StatusOK, media, buf.Bytes())
}
