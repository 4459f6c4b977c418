package server

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPI returns the OpenAPI 3.1 description of the served routes, made
// from the route table so it lists exactly what is served.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		responses := map[string]any{
			"200": map[string]any{"description": "done"},
			"400": map[string]any{"description": "bad request"},
		}
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": operationID(rt.method, rt.path),
			"responses":   responses,
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.public {
			op["security"] = []any{}
		} else {
			op["description"] = "Needs the role " + rt.role + " or higher."
			responses["401"] = map[string]any{"description": "no token, or a token that is not valid, expired or revoked"}
			responses["403"] = map[string]any{"description": "the token's role may not do this"}
		}
		switch {
		case rt.method == http.MethodPost && strings.HasSuffix(rt.path, "/captures"):
			responses["202"] = map[string]any{"description": "queued for analysis"}
			responses["413"] = map[string]any{"description": "larger than the upload limit"}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/vnd.tcpdump.pcap": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		case strings.HasSuffix(rt.path, "/evidence.pcap"):
			responses["200"] = map[string]any{"description": "the capture file; its SHA-256 in X-Evidence-SHA256", "content": map[string]any{
				"application/vnd.tcpdump.pcap": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				"application/x-pcapng":         map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			responses["404"] = map[string]any{"description": "no such finding, or no evidence file of it"}
		case rt.method == http.MethodPut && strings.HasPrefix(rt.path, "/api/v1/sites/"):
			responses["422"] = map[string]any{"description": "the site model has problems: {\"problems\":[{\"line\",\"column\",\"message\"}]}"}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/yaml": map[string]any{"schema": map[string]any{"type": "string"}}}}
		case rt.method == http.MethodPost || rt.method == http.MethodPut:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "harborwatch API",
			"version":     "1",
			"description": "Findings, captures, sites, assets, events and the audit log of a harborwatch server.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer"},
		}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
	}
}

func operationID(method, path string) string {
	p := strings.NewReplacer("/api/v1/", "", "/", "_", "{", "", "}", "", ".", "_").Replace(path)
	return strings.ToLower(method) + "_" + strings.Trim(p, "_")
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ *Principal) error {
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}
