package mailbox

import (
	"bytes"
	"net/textproto"
)

// parseDeliveryStatus reads the body of a message/delivery-status part
// (RFC 3464 section 2.1; message/global-delivery-status, RFC 6533, has the
// same shape in UTF-8): groups of header-like fields separated by empty
// lines, the per-message fields first, then one group per recipient. It
// returns nil when the part holds no fields (Google Workspace sends it
// empty).
//
// At most maxDSNGroups groups and maxDSNFields fields are read; capped
// reports that more were there.
func parseDeliveryStatus(data []byte) (groups []textproto.MIMEHeader, capped bool) {
	fields := 0
	for pos := 0; pos < len(data); {
		if len(groups) >= maxDSNGroups || fields >= maxDSNFields {
			return groups, true
		}
		line, next := lineAt(data, pos)
		if len(bytes.TrimSpace(line)) == 0 {
			pos = next
			continue
		}
		fs, off, _ := readHeaderBlock(data[pos:])
		if len(fs) == 0 {
			pos = next // not a field: skip the line
			continue
		}
		groups = append(groups, fs.mimeHeader())
		fields += len(fs)
		pos += off
	}
	return groups, false
}
