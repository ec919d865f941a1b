# The two commands a newcomer needs: `make up` and `make test`.
# Every target is a thin wrapper over a script in scripts/.
.PHONY: up down clean status redeploy test bench fabric help

help:
	@echo "make up        build what is missing, start the network, deploy the chaincode, start the gateways"
	@echo "make test      run every test: unit tests, fuzz seeds and the integration tests on a real network"
	@echo "make status    show what runs and whether it is healthy"
	@echo "make down      stop every process the network started"
	@echo "make clean     stop and remove all state (crypto, ledgers, logs)"
	@echo "make redeploy  rebuild the chaincode and, if it changed, upgrade it (sequence + 1)"
	@echo "make bench     benchmarks: Go micro-benchmarks and gateway load on a throwaway network"
	@echo "make bench-growth  fill a throwaway network to 10^6 letters, measuring at each milestone (long)"
	@echo "make chaos     the fault scenarios, ten times longer, on a throwaway network; prints the fault table"
	@echo "make demo      run the whole story against the network of make up, printing each step"
	@echo "make api       regenerate the Go client and TypeScript types from gateway/openapi.yaml (make test checks them)"
	@echo "make fuzz      run the fuzzers (FUZZTIME=30s each); seed corpora live in testdata/fuzz"

up:
	scripts/network.sh up

down:
	scripts/network.sh down

clean:
	scripts/network.sh clean

status:
	scripts/network.sh status

redeploy:
	scripts/network.sh deploy

fabric:
	scripts/fabric-bin.sh

.PHONY: api
api:
	scripts/api.sh generate

test:
	scripts/test.sh

bench:
	scripts/bench.sh

.PHONY: bench-growth
bench-growth:
	scripts/bench-growth.sh

.PHONY: chaos
chaos:
	scripts/chaos.sh

FUZZTIME ?= 30s
# A proof bundle is some 100 KB: minimising each new input for the default
# minute left FuzzVerify at ~2,000 executions in two minutes; 5 s lets it run
# (~60,000 a minute on 2 cores).
MINIMIZE = -fuzzminimizetime 5s
.PHONY: fuzz
fuzz:
	go test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./letter
	go test -run '^$$' -fuzz FuzzValidateID -fuzztime $(FUZZTIME) ./letter
	go test -run '^$$' -fuzz FuzzQuickCheck -fuzztime $(FUZZTIME) ./letter
	go test -run '^$$' -fuzz FuzzDecodeQuick -fuzztime $(FUZZTIME) ./letter
	go test -run '^$$' -fuzz FuzzCanonical -fuzztime $(FUZZTIME) ./letter
	go test -run '^$$' -fuzz FuzzCanonicalize -fuzztime $(FUZZTIME) ./sm
	go test -run '^$$' -fuzz FuzzParsePublicKey -fuzztime $(FUZZTIME) ./sm
	go test -run '^$$' -fuzz FuzzAnchorBatchArgs -fuzztime $(FUZZTIME) ./contract
	go test -run '^$$' -fuzz FuzzVerify -fuzztime $(FUZZTIME) $(MINIMIZE) ./proof
	go test -run '^$$' -fuzz FuzzParseDefinition -fuzztime $(FUZZTIME) $(MINIMIZE) ./node
	go test -run '^$$' -fuzz FuzzDescribe -fuzztime $(FUZZTIME) $(MINIMIZE) ./node
	go test -run '^$$' -fuzz FuzzLetterOnly -fuzztime $(FUZZTIME) ./gateway
	go test -run '^$$' -fuzz FuzzVerifyAnswer -fuzztime $(FUZZTIME) ./gateway
	go test -run '^$$' -fuzz FuzzSubmitOnly -fuzztime $(FUZZTIME) ./gateway
	go test -run '^$$' -fuzz FuzzQRCodes -fuzztime $(FUZZTIME) ./scan
	go test -run '^$$' -fuzz FuzzWrap -fuzztime $(FUZZTIME) ./document
	go test -run '^$$' -fuzz FuzzDeserialize -fuzztime $(FUZZTIME) ./blocks
	go test -run '^$$' -fuzz FuzzExtract -fuzztime $(FUZZTIME) ./backup

.PHONY: demo
demo:
	go run ./cmd/chengnuo demo
