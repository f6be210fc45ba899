package logmask

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestHookMasks(t *testing.T) {
	const pin, account = "21503199512345", "1030120000123456"
	photo := strings.Repeat("/9j/4AAQSkZJRgABAQ", 40)
	tests := []struct {
		name   string
		log    func(l *logrus.Logger)
		hidden []string // must not appear
		shown  []string // must appear
	}{
		{"pin in message", func(l *logrus.Logger) { l.Info("seller " + pin + " refused") },
			[]string{pin}, []string{"seller ***********345 refused"}},
		{"user id field", func(l *logrus.Logger) { l.WithField("userId", "KG"+pin).Info("x") },
			[]string{pin}, []string{"KG***********345"}},
		{"account in error", func(l *logrus.Logger) {
			l.WithError(errors.New("bank refused account " + account)).Warn("send")
		}, []string{account}, []string{"*************456"}},
		{"pin-named field", func(l *logrus.Logger) { l.WithField("buyerPin", "x1").Info("x") },
			[]string{"x1"}, []string{`"buyerPin":"[masked]"`}},
		{"photo content", func(l *logrus.Logger) { l.Warn("bad body: <content>" + photo) },
			[]string{photo[:200]}, []string{"characters elided"}},
		{"message id kept", func(l *logrus.Logger) {
			l.WithField("messageId", "123e4567-e89b-12d3-a456-426614174000").Info("x")
		}, nil, []string{"123e4567-e89b-12d3-a456-426614174000"}},
		{"numbers kept", func(l *logrus.Logger) { l.WithField("ms", 12345678901234.0).Info("x") },
			nil, []string{"12345678901234"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := logrus.New()
			l.Out = &buf
			l.SetFormatter(&logrus.JSONFormatter{})
			l.AddHook(Hook{})
			tt.log(l)
			got := buf.String()
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("got %s, want no %q in it", got, h)
				}
			}
			for _, s := range tt.shown {
				if !strings.Contains(got, s) {
					t.Errorf("got %s, want %q in it", got, s)
				}
			}
		})
	}
}

func TestHookLeavesParentFields(t *testing.T) {
	l := logrus.New()
	l.Out = &bytes.Buffer{}
	l.AddHook(Hook{})
	parent := l.WithField("userId", "KG21503199512345")
	parent.Info("once")
	if got := parent.Data["userId"]; got != "KG21503199512345" {
		t.Errorf("got parent field %v, want it unchanged", got)
	}
}
