using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MediaServer.Tests.Architecture;

/// <summary>
/// Every type-to-type reference compiled into an assembly, read from its metadata and IL: base types and interfaces,
/// field, property, event and method signatures, generic constraints, attributes, locals, catch clauses and every type,
/// method and field token in a method body. Nested and compiler-made types (lambdas' closures, async state machines)
/// count as their outermost declaring type, so a lambda's reference is its method's type's reference.
/// </summary>
public static class TypeArrows
{
    public static IReadOnlyList<(string From, string To)> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new NameProvider(reader);
        var arrows = new HashSet<(string, string)>();

        foreach (var handle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(handle);
            var from = names.Outermost(handle);
            var to = new List<string>();
            names.Entity(type.BaseType, to);
            foreach (var i in type.GetInterfaceImplementations())
            {
                names.Entity(reader.GetInterfaceImplementation(i).Interface, to);
            }
            Attributes(reader, names, type.GetCustomAttributes(), to);
            Constraints(reader, names, type.GetGenericParameters(), to);
            foreach (var f in type.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                to.AddRange(field.DecodeSignature(names, null));
                Attributes(reader, names, field.GetCustomAttributes(), to);
            }
            foreach (var p in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                var signature = property.DecodeSignature(names, null);
                to.AddRange(signature.ReturnType);
                to.AddRange(signature.ParameterTypes.SelectMany(t => t));
                Attributes(reader, names, property.GetCustomAttributes(), to);
            }
            foreach (var e in type.GetEvents())
            {
                names.Entity(reader.GetEventDefinition(e).Type, to);
            }
            foreach (var m in type.GetMethods())
            {
                var method = reader.GetMethodDefinition(m);
                var signature = method.DecodeSignature(names, null);
                to.AddRange(signature.ReturnType);
                to.AddRange(signature.ParameterTypes.SelectMany(t => t));
                Attributes(reader, names, method.GetCustomAttributes(), to);
                foreach (var p in method.GetParameters())
                {
                    Attributes(reader, names, reader.GetParameter(p).GetCustomAttributes(), to);
                }
                Constraints(reader, names, method.GetGenericParameters(), to);
                if (method.RelativeVirtualAddress != 0)
                {
                    Body(reader, names, pe.GetMethodBody(method.RelativeVirtualAddress), to);
                }
            }
            foreach (var name in to)
            {
                if (name != from)
                {
                    arrows.Add((from, name));
                }
            }
        }
        return [.. arrows.Order()];
    }

    private static void Attributes(MetadataReader reader, NameProvider names, CustomAttributeHandleCollection attributes, List<string> to)
    {
        foreach (var a in attributes)
        {
            names.Entity(reader.GetCustomAttribute(a).Constructor, to);
        }
    }

    private static void Constraints(MetadataReader reader, NameProvider names, GenericParameterHandleCollection parameters, List<string> to)
    {
        foreach (var g in parameters)
        {
            foreach (var c in reader.GetGenericParameter(g).GetConstraints())
            {
                names.Entity(reader.GetGenericParameterConstraint(c).Type, to);
            }
        }
    }

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private static void Body(MetadataReader reader, NameProvider names, MethodBodyBlock body, List<string> to)
    {
        if (!body.LocalSignature.IsNil)
        {
            foreach (var local in reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(names, null))
            {
                to.AddRange(local);
            }
        }
        foreach (var region in body.ExceptionRegions)
        {
            names.Entity(region.CatchType, to);
        }
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }
            var operand = Operands[value];
            switch (operand)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    names.Entity(MetadataTokens.EntityHandle(il.ReadInt32()), to);
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    // Read the count first: "Offset += 4 * ReadInt32()" would take Offset before the read moved it.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += 4;
                    break;
            }
        }
    }

    /// <summary>Names the types a signature or token mentions (each as its outermost declaring type).</summary>
    private sealed class NameProvider(MetadataReader reader) : ISignatureTypeProvider<ImmutableArray<string>, object?>
    {
        public void Entity(EntityHandle handle, List<string> to)
        {
            if (handle.IsNil)
            {
                return;
            }
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    to.AddRange(Type(handle));
                    break;
                case HandleKind.MethodDefinition:
                    to.Add(Outermost(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()));
                    break;
                case HandleKind.FieldDefinition:
                    to.Add(Outermost(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()));
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent, to);
                    if (member.GetKind() == MemberReferenceKind.Field)
                    {
                        to.AddRange(member.DecodeFieldSignature(this, null));
                    }
                    else
                    {
                        var signature = member.DecodeMethodSignature(this, null);
                        to.AddRange(signature.ReturnType);
                        to.AddRange(signature.ParameterTypes.SelectMany(t => t));
                    }
                    break;
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method, to);
                    to.AddRange(spec.DecodeSignature(this, null).SelectMany(t => t));
                    break;
                default:
                    break;
            }
        }

        private ImmutableArray<string> Type(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => [Outermost((TypeDefinitionHandle)handle)],
            HandleKind.TypeReference => [Outermost((TypeReferenceHandle)handle)],
            HandleKind.TypeSpecification => reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            _ => [],
        };

        public string Outermost(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            while (!type.GetDeclaringType().IsNil)
            {
                type = reader.GetTypeDefinition(type.GetDeclaringType());
            }
            return Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        private string Outermost(TypeReferenceHandle handle)
        {
            var type = reader.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = reader.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            }
            return Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        private static string Join(string ns, string name)
        {
            var tick = name.IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                name = name[..tick];
            }
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(t => t)];
        public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(t => t)];
        public ImmutableArray<string> GetGenericMethodParameter(object? genericContext, int index) => [];
        public ImmutableArray<string> GetGenericTypeParameter(object? genericContext, int index) => [];
        public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
        public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [Outermost(handle)];
        public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [Outermost(handle)];
        public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            Type(handle);
    }
}
