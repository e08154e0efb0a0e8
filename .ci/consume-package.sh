#!/usr/bin/env bash
# Packs AlexNet.Gen and consumes the .nupkg from a local folder in a fresh project, as a user would:
# the package alone must bring the attributes, the runtime and the generator.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet pack "$root/src/AlexNet.Gen" -c Release -o "$work/feed" -p:Version=0.1.0-ci
# Listings are captured before grep: `cmd | grep -q` under pipefail fails at random when grep exits at the
# first match and the writer then dies of SIGPIPE (seen: 3 runs in 200).
listing="$(unzip -l "$work/feed/AlexNet.Gen.0.1.0-ci.nupkg")"
grep -q "analyzers/dotnet/cs/AlexNet.Gen.Generator.dll" <<<"$listing" \
  || { echo "the package does not carry the generator:"; echo "$listing"; exit 1; }

mkdir -p "$work/consumer"
cd "$work/consumer"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > Consumer.csproj <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="AlexNet.Gen" Version="0.1.0-ci" />
  </ItemGroup>
</Project>
XML
cat > Program.cs <<'CS'
using System;
using AlexNet.Gen;

var model = new TinyNet(seed: 7);
var input = new float[2 * TinyNet.InputLength];
for (int i = 0; i < input.Length; i++) input[i] = (i % 13) / 13f;
var output = new float[2 * TinyNet.OutputLength];
model.Forward(input, output, batchSize: 2);
float sum = 0;
foreach (var p in output) sum += p;
Console.WriteLine($"TinyNet: {TinyNet.ParameterCount} parameters, output sum {sum:F4} over 2 samples");
if (Math.Abs(sum - 2f) > 1e-3f) throw new Exception("softmax outputs must sum to 1 per sample");

[Network(1, 12, 12, Classes = 3)]
[Conv2d(4, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
[Flatten] [Dense(3)] [Softmax]
public partial class TinyNet { }
CS
dotnet run -c Release
# 4·1·3·3 + 4 conv, 144·3 + 3 dense = 40 + 435 = 475 parameters.
output="$(dotnet run -c Release --no-build)"
grep -q "TinyNet: 475 parameters" <<<"$output" || { echo "unexpected parameter count: $output"; exit 1; }
echo "package consumed: OK"
