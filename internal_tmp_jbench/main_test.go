package jbench

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

func TestServeFake(t *testing.T) {
	fake := jirafake.New(jirafake.Cloud)
	fake.Generate("ALPHA", 20000, 3)
	fake.Start()
	os.WriteFile("/tmp/jbench/pmohub.yaml", []byte(fmt.Sprintf("tenant: acme\nsources:\n  - name: jira-main\n    kind: jira\n    url: %s\n    auth: {email: %s, token: %s}\n    projects: [ALPHA]\n", fake.URL(), fake.Email, fake.Token)), 0o644)
	time.Sleep(200 * time.Second)
}
